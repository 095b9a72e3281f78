/** Wire protocol version carried in enrollment and check-in bodies. */
export const PROTOCOL_VERSION = 1;

/** Every responder endpoint lives under this path. */
export const RESPONDER_API_BASE = "/api/responder/v1";

export const HEADER_RESPONDER = "x-corvid-responder";
export const HEADER_TIMESTAMP = "x-corvid-timestamp";
export const HEADER_NONCE = "x-corvid-nonce";
export const HEADER_SIGNATURE = "x-corvid-signature";
export const HEADER_CHUNK_SHA256 = "x-corvid-chunk-sha256";
/** Request header (value "1"): the responder wants this response signed by the console's attested key. */
export const HEADER_ATTEST = "x-corvid-attest";
/** Response header: the console's Ed25519 signature over the response (see responseSigningString). */
export const HEADER_CONSOLE_SIGNATURE = "x-corvid-console-signature";

/** First line of every signed string; bump with the signing scheme. */
export const SIGNATURE_SCHEME = "corvid-v1";
/** First line of the message the console CA signs to endorse the console's response-signing key. */
export const ENDORSEMENT_SCHEME = "corvid-console-key-v1";
/** First line of every signed console response. */
export const RESPONSE_SIGNATURE_SCHEME = "corvid-response-v1";

/** A request whose timestamp is further than this from the console's clock is stale. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
/**
 * A nonce must be remembered for as long as its request could still pass the timestamp check:
 * up to timestamp + skew, i.e. at most 2 × skew after it was first seen.
 */
export const NONCE_RETENTION_MS = 2 * MAX_CLOCK_SKEW_MS;
export const NONCE_BYTES = 16;

/** The console holds a `?wait=1` check-in open at most this long before answering "no task". */
export const CHECKIN_LONG_POLL_MAX_SEC = 25;

export const KIB = 1024;
export const MIB = 1024 * KIB;
export const GIB = 1024 * MIB;

export const DEFAULT_CHUNK_SIZE = MIB;
export const MIN_CHUNK_SIZE = 64 * KIB;
export const MAX_CHUNK_SIZE = 16 * MIB;
/** Caps the receivedChunks list and the console's per-upload bookkeeping. */
export const MAX_CHUNKS_PER_UPLOAD = 65_536;
export const MAX_UPLOAD_BYTES = 64 * GIB;

/** Largest JSON body the console accepts on any responder endpoint (chunks are limited by MAX_CHUNK_SIZE). */
export const MAX_JSON_BODY_BYTES = MIB;
/** Largest chunk body: the biggest chunk a responder may ask for. */
export const MAX_CHUNK_BODY_BYTES = MAX_CHUNK_SIZE;

export const DEPLOYMENT_TOKEN_PREFIX = "cvd_dt_";
export const RESPONDER_ID_PREFIX = "r_";
