import type { CollectContext, Row } from "./types.ts";
import { isoTime } from "./types.ts";

export interface Cookie {
  domain: string;
  name: string;
  path: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite: string;
  session: boolean;
  hostOnly: boolean;
  expirationDate?: number;
  storeId: string;
  value: string;
}

export interface CookiesApi {
  cookies: { getAll(details: { domain?: string }): Promise<Cookie[]> };
}

export class CookieValuesNotAllowedError extends Error {
  override name = "CookieValuesNotAllowedError";
}

/** Metadata only, unless the task asks for values and the admin's policy allows them (session tokens are secrets). */
export async function collectCookies(api: CookiesApi, context: CollectContext): Promise<Row[]> {
  const includeValues = context.parameters.include_values === true;
  if (includeValues && !context.policy.allowCookieValues) {
    throw new CookieValuesNotAllowedError("the task asks for cookie values but the managed policy does not set allowCookieValues");
  }
  const domain = String(context.parameters.domain ?? "");
  const cookies = await api.cookies.getAll(domain ? { domain } : {});
  return cookies.map((cookie) => ({
    domain: cookie.domain,
    name: cookie.name,
    path: cookie.path,
    secure: cookie.secure,
    http_only: cookie.httpOnly,
    same_site: cookie.sameSite,
    session: cookie.session,
    host_only: cookie.hostOnly,
    // expirationDate is in seconds, unlike the other Chrome APIs.
    expiration_time: cookie.expirationDate === undefined ? null : isoTime(cookie.expirationDate * 1000),
    store_id: cookie.storeId,
    value: includeValues ? cookie.value : null,
  }));
}
