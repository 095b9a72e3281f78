// The `corvid` admin CLI (like AIR's): works directly on the console's database, so it needs the
// same CORVID_DATA_DIR / DATABASE_URL as the server. Every action is audited with actor "system".
import { parseArgs } from "node:util";
import { createDb, type Db } from "../app/db.server.ts";
import { audit, verifyAuditChain } from "../app/lib/audit.server.ts";
import { UserAdminError, createUser, resetPassword } from "../app/lib/auth-admin.server.ts";
import { createDeploymentToken } from "../app/lib/deployment-tokens.server.ts";
import { resolveDatabaseUrl } from "../db/config.js";
import { migrate } from "../db/migrator.js";

const USAGE = `usage:
  corvid user create --email EMAIL --role admin|analyst|viewer [--name NAME] [--org SLUG]
  corvid user reset-password --email EMAIL
  corvid token create --org SLUG --name NAME [--expires 7d|12h|30m|never] [--max-uses N] [--tags a,b]
  corvid audit verify
Uses CORVID_DATA_DIR (default console/data) and DATABASE_URL like the console server.`;

/** Wrong arguments: exit 2 with the usage text. */
class UsageError extends Error {}
/** The arguments are fine but the data is not (no such user, organization…): exit 1. */
class CliError extends Error {}

const SYSTEM = { type: "system" } as const;

function required(values: Record<string, string | undefined>, name: string): string {
  const value = values[name];
  if (!value) throw new UsageError(`missing --${name}`);
  return value;
}

/** "7d", "12h", "30m" → a Date that far ahead; "never" → null. */
export function parseExpiry(text: string, now = Date.now()): Date | null {
  if (text === "never") return null;
  const match = /^(\d{1,5})([dhm])$/.exec(text);
  if (!match) throw new UsageError(`--expires must look like 7d, 12h, 30m or never, not ${JSON.stringify(text)}`);
  const unitMs = { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as "d" | "h" | "m"];
  return new Date(now + Number(match[1]) * unitMs);
}

async function organizationBySlug(db: Db, slug: string | undefined) {
  if (slug) {
    const organization = await db.organization.findUnique({ where: { slug } });
    if (!organization) throw new CliError(`no organization with the slug ${JSON.stringify(slug)}`);
    return organization;
  }
  const organizations = await db.organization.findMany({ take: 2 });
  if (organizations.length === 0) throw new CliError("there is no organization yet: start the console once (npm start) to create it");
  if (organizations.length > 1) throw new CliError("there are several organizations: name one with --org SLUG");
  return organizations[0]!;
}

const COMMANDS = ["user create", "user reset-password", "token create", "audit verify"] as const;
type Command = (typeof COMMANDS)[number];
const REQUIRED_OPTIONS: Record<Command, string[]> = {
  "user create": ["email", "role"],
  "user reset-password": ["email"],
  "token create": ["org", "name"],
  "audit verify": [],
};
type Options = ReturnType<typeof parseCommandLine>["values"];

/** Checks the command line before anything touches the database. */
function parseCommandLine(argv: string[]) {
  const [group, command, ...rest] = argv;
  const key = `${group} ${command}`;
  if (!(COMMANDS as readonly string[]).includes(key)) throw new UsageError(`unknown command: ${argv.slice(0, 2).join(" ")}`);
  const { values } = parseArgs({
    args: rest,
    options: {
      email: { type: "string" },
      role: { type: "string" },
      name: { type: "string" },
      org: { type: "string" },
      expires: { type: "string" },
      "max-uses": { type: "string" },
      tags: { type: "string" },
    },
    strict: true,
  });
  for (const name of REQUIRED_OPTIONS[key as Command]) required(values, name);
  if (key === "token create") parseExpiry(values.expires ?? "7d");
  return { key: key as Command, values };
}

async function run(db: Db, key: Command, values: Options): Promise<number> {
  if (key === "user create") {
    const organization = await organizationBySlug(db, values.org);
    const { user, oneTimePassword } = await createUser(db, {
      organizationId: organization.id,
      email: required(values, "email"),
      name: values.name ?? "",
      role: required(values, "role"),
      actor: SYSTEM,
    });
    console.log(`created user ${user.email} (role ${user.role}) in organization ${organization.slug}`);
    console.log(`one-time password: ${oneTimePassword}`);
    console.log("(shown only once; it must be changed at the first login)");
    return 0;
  }
  if (key === "user reset-password") {
    const email = required(values, "email").toLowerCase();
    const user = await db.user.findUnique({ where: { email } });
    if (!user) throw new CliError(`no user with the email ${email}`);
    const { oneTimePassword } = await resetPassword(db, { organizationId: user.organizationId, userId: user.id, actor: SYSTEM });
    console.log(`password of ${user.email} reset; their sessions were ended`);
    console.log(`one-time password: ${oneTimePassword}`);
    console.log("(shown only once; it must be changed at the next login)");
    return 0;
  }
  if (key === "token create") {
    const organization = await organizationBySlug(db, required(values, "org"));
    const maxUsesText = values["max-uses"];
    const maxUses = maxUsesText === undefined ? null : Number(maxUsesText);
    if (maxUses !== null && (!Number.isInteger(maxUses) || maxUses < 1)) throw new UsageError("--max-uses must be a positive whole number");
    const { token, record } = await createDeploymentToken(db, {
      organizationId: organization.id,
      name: required(values, "name"),
      expiresAt: parseExpiry(values.expires ?? "7d"),
      maxUses,
      tags: (values.tags ?? "").split(",").map((t) => t.trim()).filter(Boolean),
      actor: SYSTEM,
    });
    console.log(`created deployment token "${record.name}" for organization ${organization.slug} (expires ${record.expiresAt?.toISOString() ?? "never"}, max uses ${record.maxUses ?? "unlimited"})`);
    console.log(`token: ${token}`);
    console.log("(shown only once)");
    return 0;
  }
  if (key === "audit verify") {
    const result = await verifyAuditChain(db);
    await audit(db, { actorType: "system", action: "audit.verify", detail: result.ok ? { ok: true, entries: result.entries } : { ok: false, brokenId: result.brokenId } });
    if (result.ok) {
      console.log(`audit chain ok: ${result.entries} entries`);
      // Deleting the newest entries leaves a shorter, still valid chain; comparing this value with
      // one recorded earlier (outside the database) reveals that.
      console.log(`head hash: ${result.headHash}`);
      return 0;
    }
    console.log(`audit chain BROKEN at entry ${result.brokenId}: ${result.reason} (${result.entries} entries before it are intact)`);
    return 1;
  }
  throw new UsageError(`unknown command: ${key}`);
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "help") {
    console.log(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const url = resolveDatabaseUrl(process.env);
  let db: Db | undefined;
  try {
    const { key, values } = parseCommandLine(argv);
    await migrate({ url });
    db = await createDb(url);
    return await run(db, key, values);
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))) {
      console.error(`corvid: ${error.message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof UserAdminError || error instanceof CliError) {
      console.error(`corvid: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await db?.$disconnect();
  }
}
