/**
 * IPv4/IPv6 parsing and CIDR membership for the `cidr` modifier. An address is a list of 32-bit words, most significant
 * first: one for IPv4, four for IPv6. Plain numbers rather than BigInts: each BigInt step allocates, and a rule lists
 * many blocks (the private ranges) that every network event is tested against.
 */

interface ParsedAddress {
  family: 4 | 6;
  words: number[];
}

/** Four decimal parts of one to three digits, each at most 255. */
function parseIpv4(text: string): number | undefined {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (code >= 0x30 && code <= 0x39) {
      if (++digits > 3) return undefined;
      part = part * 10 + (code - 0x30);
    } else if (code === 0x2e) {
      if (digits === 0 || part > 255 || ++parts > 4) return undefined;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else return undefined;
  }
  return parts === 4 ? value : undefined;
}

function parseIpv6(text: string): number[] | undefined {
  let address = text;
  const zone = address.indexOf("%");
  if (zone >= 0) address = address.slice(0, zone);
  let tailGroups: number[] = [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two 16-bit groups.
  if (address.includes(".")) {
    const lastColon = address.lastIndexOf(":");
    const v4 = parseIpv4(address.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tailGroups = [Math.floor(v4 / 0x10000), v4 % 0x10000];
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
  return [0, 1, 2, 3].map((word) => groups[2 * word]! * 0x10000 + groups[2 * word + 1]!);
}

export function parseIpAddress(text: string): ParsedAddress | undefined {
  const trimmed = text.trim().replace(/^\[|\]$/g, "");
  const v4 = parseIpv4(trimmed);
  if (v4 !== undefined) return { family: 4, words: [v4] };
  const v6 = trimmed.includes(":") ? parseIpv6(trimmed) : undefined;
  return v6 === undefined ? undefined : { family: 6, words: v6 };
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
  // Per word, the mask of its network bits, and the network's bits under it (unsigned, as `>>> 0` leaves them).
  const masks = network.words.map((_, word) => {
    const bits = Math.min(32, Math.max(0, prefix - 32 * word));
    return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  });
  const networkBits = network.words.map((value, word) => (value & masks[word]!) >>> 0);
  return (text) => {
    const address = parsedAddress(text);
    if (address === undefined || address.family !== network.family) return false;
    for (let word = 0; word < masks.length; word++) if ((address.words[word]! & masks[word]!) >>> 0 !== networkBits[word]) return false;
    return true;
  };
}
