import { z } from "zod";
import { Timestamp } from "./common.ts";

// Field names follow the Elastic Common Schema (ECS) so exports, Sigma field maps and analysts' habits line up.

const Keyword = z.string().max(1024);
const LongText = z.string().max(32_768);
const Keywords = z.array(Keyword).max(64);
const Port = z.int().min(0).max(65_535);
export const MAX_RAW_RECORD_CHARS = 65_536;

/** Length of the JSON text of a value; values JSON cannot carry (cycles, bigint) count as too large. */
function jsonLength(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

const Hashes = z.object({ md5: Keyword.optional(), sha1: Keyword.optional(), sha256: Keyword.optional() });

const UserFields = {
  name: Keyword.optional(),
  id: Keyword.optional(),
  domain: Keyword.optional(),
  email: Keyword.optional(),
};

/** ECS `source.*` / `destination.*`: the network endpoints of an event (e.g. the IP a sign-in came from). */
const Endpoint = z.object({
  ip: Keyword.optional(),
  port: Port.optional(),
  address: Keyword.optional(),
  domain: Keyword.optional(),
  geo: z
    .object({ country_iso_code: Keyword.optional(), city_name: Keyword.optional(), region_name: Keyword.optional() })
    .optional(),
});

export const TimelineEvent = z.object({
  "@timestamp": Timestamp,
  event: z.object({
    /** Which artifact or collector dataset produced the event, e.g. `Linux.Sys.Processes` or `google.admin.login`. */
    dataset: Keyword.min(1),
    kind: Keyword.optional(),
    category: Keywords.optional(),
    type: Keywords.optional(),
    action: Keyword.optional(),
    outcome: Keyword.optional(),
    code: Keyword.optional(),
    provider: Keyword.optional(),
    module: Keyword.optional(),
    id: Keyword.optional(),
  }),
  host: z
    .object({
      id: Keyword.optional(),
      name: Keyword.optional(),
      hostname: Keyword.optional(),
      ip: Keywords.optional(),
      os: z
        .object({
          name: Keyword.optional(),
          version: Keyword.optional(),
          kernel: Keyword.optional(),
          platform: Keyword.optional(),
          family: Keyword.optional(),
          type: Keyword.optional(),
        })
        .optional(),
    })
    .optional(),
  user: z.object({ ...UserFields, target: z.object(UserFields).optional() }).optional(),
  process: z
    .object({
      pid: z.int().min(0).optional(),
      /** Parent PID (ECS proper spells it process.parent.pid; both are accepted). */
      ppid: z.int().min(0).optional(),
      parent: z.object({ pid: z.int().min(0).optional(), name: Keyword.optional(), executable: Keyword.optional() }).optional(),
      name: Keyword.optional(),
      executable: Keyword.optional(),
      command_line: LongText.optional(),
      args: Keywords.optional(),
      working_directory: Keyword.optional(),
      start: Timestamp.optional(),
      hash: Hashes.optional(),
    })
    .optional(),
  file: z
    .object({
      path: Keyword.optional(),
      name: Keyword.optional(),
      size: z.int().min(0).optional(),
      hash: Hashes.optional(),
    })
    .optional(),
  url: z
    .object({ full: LongText.optional(), domain: Keyword.optional(), path: LongText.optional(), scheme: Keyword.optional() })
    .optional(),
  http: z
    .object({
      request: z.object({ method: Keyword.optional(), referrer: LongText.optional() }).optional(),
      response: z.object({ status_code: z.int().min(100).max(999).optional() }).optional(),
    })
    .optional(),
  user_agent: z.object({ original: Keyword.optional() }).optional(),
  source: Endpoint.optional(),
  destination: Endpoint.optional(),
  cloud: z
    .object({
      provider: Keyword.optional(),
      account: z.object({ id: Keyword.optional() }).optional(),
      service: z.object({ name: Keyword.optional() }).optional(),
    })
    .optional(),
  related: z
    .object({ ip: Keywords.optional(), user: Keywords.optional(), hosts: Keywords.optional(), hash: Keywords.optional() })
    .optional(),
  /** OCSF classification tags next to the ECS names (cloud events), e.g. class 3002 Authentication. */
  ocsf: z.object({ class_uid: z.int().min(0).optional(), activity_id: z.int().min(0).optional() }).optional(),
  tags: Keywords.optional(),
  /** ECS custom key/value keywords for facts without an ECS field. */
  labels: z
    .record(z.string().max(128), Keyword)
    .refine((labels) => Object.keys(labels).length <= 64, "at most 64 labels")
    .optional(),
  message: LongText.optional(),
  /** The original record, untouched, so nothing is lost by normalization. */
  raw: z
    .unknown()
    .refine((raw) => raw === undefined || jsonLength(raw) <= MAX_RAW_RECORD_CHARS, {
      message: `raw record larger than ${MAX_RAW_RECORD_CHARS} characters of JSON`,
    }),
});

export type TimelineEvent = z.infer<typeof TimelineEvent>;
