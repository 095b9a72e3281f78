import { ArtifactDefinition, resolveArtifactParameters, type ParameterValues } from "@corvid/protocol";
import { parse as parseYaml } from "yaml";
import { collectCookies, type CookiesApi } from "./cookies.ts";
import { collectDevice, readUserAgent, type DeviceApi } from "./device.ts";
import { collectDownloads, type DownloadsApi } from "./downloads.ts";
import { collectExtensions, knownMaliciousIds, type ManagementApi } from "./extensions.ts";
import { collectHistory, type HistoryApi } from "./history.ts";
import { collectTabs, collectTopSites, type TabsApi, type TopSitesApi } from "./tabs.ts";
import { browserEvents, loadRules, runTriage, shippedRules } from "../triage/triage.ts";
import type { CollectContext, Row } from "./types.ts";

/** The repository's browser artifact definitions, bundled at build time (the same YAML the console lists). */
const definitionFiles = import.meta.glob<string>("../../../artifacts/browser/*.yaml", { query: "?raw", import: "default", eager: true });

export class UnknownArtifactError extends Error {
  override name = "UnknownArtifactError";
}

export type BrowserApis = HistoryApi & DownloadsApi & ManagementApi & CookiesApi & TabsApi & TopSitesApi & DeviceApi;

type Runner = (api: BrowserApis, context: CollectContext, onRows: (rows: Row[]) => Promise<void>) => Promise<void>;

const emitAll =
  (collect: (api: BrowserApis, context: CollectContext) => Promise<Row[]>): Runner =>
  async (api, context, onRows) =>
    onRows(await collect(api, context));

/** source.kind → implementation. */
const RUNNERS: Record<string, Runner> = {
  "browser.history": (api, context, onRows) => collectHistory(api, context, onRows),
  "browser.downloads": emitAll(collectDownloads),
  "browser.extensions": emitAll((api, context) => collectExtensions(api, knownMaliciousIds(context.parameters))),
  "browser.cookies": emitAll(collectCookies),
  "browser.tabs": emitAll((api) => collectTabs(api)),
  "browser.top_sites": emitAll((api) => collectTopSites(api)),
  "browser.device": emitAll(async (api) => [await collectDevice(api, await readUserAgent())]),
  "browser.triage": emitAll(triage),
};

async function triage(api: BrowserApis, context: CollectContext): Promise<Row[]> {
  const supplied = (context.parameters.rules as string[] | undefined) ?? [];
  const rules = supplied.length > 0 ? loadRules(Object.fromEntries(supplied.map((text, index) => [`task-rule-${index + 1}.yml`, text]))) : shippedRules();
  const history: Row[] = [];
  await collectHistory(api, { ...context, parameters: { days: context.parameters.days ?? 30 } }, async (rows) => void history.push(...rows));
  const events = browserEvents({
    history,
    downloads: await collectDownloads(api, { ...context, parameters: {} }),
    extensions: await collectExtensions(api, knownMaliciousIds(context.parameters)),
    observedAt: new Date().toISOString(),
  });
  return runTriage(events, rules);
}

export function loadDefinitions(files: Record<string, string> = definitionFiles): ArtifactDefinition[] {
  return Object.entries(files).map(([file, text]) => {
    const parsed = ArtifactDefinition.safeParse(parseYaml(text));
    if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`);
    if (!RUNNERS[parsed.data.source.kind]) throw new Error(`${file}: no collector for source kind ${parsed.data.source.kind}`);
    return parsed.data;
  });
}

export class ArtifactCatalog {
  readonly #byName: Map<string, ArtifactDefinition>;

  constructor(definitions: ArtifactDefinition[] = loadDefinitions()) {
    this.#byName = new Map(definitions.map((definition) => [definition.name, definition]));
  }

  get names(): string[] {
    return [...this.#byName.keys()].sort();
  }

  get(name: string): ArtifactDefinition | undefined {
    return this.#byName.get(name);
  }

  /** Runs one artifact; rows arrive in batches so history of any size never sits in memory twice. */
  async collect(
    name: string,
    supplied: ParameterValues | undefined,
    api: BrowserApis,
    policy: CollectContext["policy"],
    onRows: (rows: Row[]) => Promise<void>,
    checkpoint?: CollectContext["checkpoint"],
  ): Promise<ArtifactDefinition> {
    const definition = this.#byName.get(name);
    if (!definition) throw new UnknownArtifactError(`this responder has no artifact named ${name}`);
    const parameters = resolveArtifactParameters(definition, supplied);
    await RUNNERS[definition.source.kind]!(api, { parameters, policy, ...(checkpoint ? { checkpoint } : {}) }, onRows);
    return definition;
  }
}
