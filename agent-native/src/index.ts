// @corvid/agent-native: the Linux responder. The CLI lives in bin/corvid-agent.mjs → src/cli.ts.
export { loadArtifactCatalog, buildCatalog, validateArtifactDefinition, ArtifactDefinitionError, ArtifactParameterError } from "./artifacts/catalog.ts";
export type { ArtifactCatalog, LoadedArtifact } from "./artifacts/catalog.ts";
export { collectArtifact, collectRows } from "./collect.ts";
export { sourceRegistry } from "./sources/registry.ts";
export { Agent, AgentExitError } from "./agent.ts";
export { enroll, loadIdentity } from "./enroll.ts";
export { StateStore, defaultStateDir } from "./state.ts";
export { main as runAgentCli } from "./cli.ts";
