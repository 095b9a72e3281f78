/** IPv4/IPv6 parsing and CIDR membership for the `cidr` modifier. Addresses are 128-bit BigInts; IPv4 lives in its own family. */

interface ParsedAddress {
  family: 4 | 6;
  value: bigint;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  let address = text;
  const zone = address.indexOf("%");
  if (zone >= 0) address = address.slice(0, zone);
  let tailGroups: number[] = [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two 16-bit groups.
  if (address.includes(".")) {
    const lastColon = address.lastIndexOf(":");
    const v4 = parseIpv4(address.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tailGroups = [Number(v4 >> 16n), Number(v4 & 0xffffn)];
    address = address.slice(0, lastColon + 1);
    if (!address.endsWith("::")) address = address.slice(0, -1);
  }
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const readGroups = (part: string | undefined): number[] | undefined => {
    if (part === undefined || part === "") return [];
    const groups: number[] = [];
    for (const group of part.split(":")) {
      if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined;
      groups.push(parseInt(group, 16));
    }
    return groups;
  };
  const head = readGroups(halves[0]);
  const tail = readGroups(halves[1]);
  if (head === undefined || tail === undefined) return undefined;
  const explicit = [...head, ...tail, ...tailGroups].length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return undefined;
  const groups = [...head, ...new Array<number>(8 - explicit).fill(0), ...tail, ...tailGroups];
  return groups.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

export function parseIpAddress(text: string): ParsedAddress | undefined {
  const trimmed = text.trim().replace(/^\[|\]$/g, "");
  const v4 = parseIpv4(trimmed);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = trimmed.includes(":") ? parseIpv6(trimmed) : undefined;
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

/**
 * The text parsed last and its address: a rule lists several blocks for one field (the private ranges, say), and each
 * block's test would otherwise parse the same text again, with BigInt arithmetic that costs microseconds.
 */
let lastText: string | undefined;
let lastAddress: ParsedAddress | undefined;

function parsedAddress(text: string): ParsedAddress | undefined {
  if (text !== lastText) {
    lastAddress = parseIpAddress(text);
    lastText = text;
  }
  return lastAddress;
}

/** Returns a membership test for a CIDR block such as `10.0.0.0/8` or `fe80::/10`, or undefined if it is malformed. */
export function compileCidr(cidr: string): ((address: string) => boolean) | undefined {
  const [base, prefixText, ...rest] = cidr.trim().split("/");
  if (base === undefined || rest.length > 0) return undefined;
  const network = parseIpAddress(base);
  if (network === undefined) return undefined;
  const width = network.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width || (prefixText !== undefined && !/^\d+$/.test(prefixText))) return undefined;
  const hostBits = BigInt(width - prefix);
  const networkBits = network.value >> hostBits;
  return (text) => {
    const address = parsedAddress(text);
    return address !== undefined && address.family === network.family && address.value >> hostBits === networkBits;
  };
}
