import http from "node:http";
import type { AddressInfo } from "node:net";

const CHUNK_PATH = /^\/api\/responder\/v1\/uploads\/([^/]+)\/chunks\/(\d+)$/;

export interface ChunkRequest {
  uploadId: string;
  index: number;
  status: number | "held";
}

/**
 * A plain HTTP relay between the agent and the console, the way a network path would be. It can hold one chunk
 * upload in flight (never forwarded, never answered) so a test can kill the agent at a known point of an upload.
 * Request signatures cover method, path and body, which the relay passes through untouched.
 */
export class ChunkHoldingProxy {
  readonly chunks: ChunkRequest[] = [];
  private readonly server: http.Server;
  private holdPredicate: ((uploadId: string, index: number) => boolean) | undefined;
  private heldRequest: http.IncomingMessage | undefined;
  private onHeld: ((chunk: ChunkRequest) => void) | undefined;

  constructor(private readonly target: URL) {
    this.server = http.createServer((request, response) => this.relay(request, response));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves with the first chunk request that matches, which is then held instead of forwarded. */
  holdChunk(predicate: (uploadId: string, index: number) => boolean): Promise<ChunkRequest> {
    this.holdPredicate = predicate;
    return new Promise((resolve) => (this.onHeld = resolve));
  }

  /** Drops the held request, as a dead connection would, and relays everything from now on. */
  release(): void {
    this.holdPredicate = undefined;
    this.heldRequest?.socket.destroy();
    this.heldRequest = undefined;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private relay(request: http.IncomingMessage, response: http.ServerResponse): void {
    const chunk = CHUNK_PATH.exec(request.url ?? "");
    const record: ChunkRequest | undefined = chunk ? { uploadId: chunk[1]!, index: Number(chunk[2]), status: "held" } : undefined;
    if (record) this.chunks.push(record);
    if (record && this.holdPredicate?.(record.uploadId, record.index)) {
      this.holdPredicate = undefined;
      this.heldRequest = request;
      this.onHeld?.(record);
      return;
    }
    const upstream = http.request(
      { host: this.target.hostname, port: this.target.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        if (record) record.status = answer.statusCode ?? 0;
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on("error", () => response.destroy());
    request.pipe(upstream);
  }
}
