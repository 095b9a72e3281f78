import { PassThrough } from "node:stream";
import type { AppLoadContext, EntryContext } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { getDb } from "./db.server.ts";
import { ensureFirstStart, firstStartBanner } from "./lib/first-start.server.ts";

/** With single fetch, Remix reads this to know how long deferred data may stream. */
export const streamTimeout = 5_000;

/**
 * Called by server.js once it listens (it reaches this module through the server build's
 * `entry.module`), so that first-start code shares the app's database client.
 */
export async function runFirstStart({ publicUrl, adminEmail }: { publicUrl: string; adminEmail: string }): Promise<string | null> {
  const result = await ensureFirstStart(await getDb(), { publicUrl, adminEmail });
  return result.created ? firstStartBanner(result) : null;
}

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  _loadContext: AppLoadContext,
) {
  const waitForAll = isbot(request.headers.get("user-agent") ?? "");
  return new Promise((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(<RemixServer context={remixContext} url={request.url} />, {
      [waitForAll ? "onAllReady" : "onShellReady"]() {
        shellRendered = true;
        const body = new PassThrough();
        responseHeaders.set("Content-Type", "text/html; charset=utf-8");
        responseHeaders.set("X-Frame-Options", "DENY");
        responseHeaders.set("X-Content-Type-Options", "nosniff");
        responseHeaders.set("Referrer-Policy", "same-origin");
        resolve(new Response(createReadableStreamFromReadable(body), { headers: responseHeaders, status: responseStatusCode }));
        pipe(body);
      },
      onShellError(error: unknown) {
        reject(error);
      },
      onError(error: unknown) {
        responseStatusCode = 500;
        if (shellRendered) console.error(error);
      },
    });
    setTimeout(abort, streamTimeout + 1000);
  });
}
