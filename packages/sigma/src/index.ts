/** @corvid/sigma: load, validate, compile and evaluate Sigma rules (detections, filters, correlations). */
export { SigmaCompileError, SigmaRuleError, type SourceLocation } from "./errors.ts";
export { SigmaEvent, type EventLogSource, type FieldText } from "./event.ts";
export { parseCondition, type ConditionNode } from "./condition.ts";
export { compileDetection, compileSearchIdentifier, base64OffsetVariants, type CompileOptions, type CompiledDetection, type EventPredicate } from "./detection.ts";
export { parseCorrelation, parseTimespan, type CorrelationSpec, type CorrelationType } from "./correlation-spec.ts";
export { CorrelationTracker, type CorrelationOutcome } from "./correlation.ts";
export {
  parseSigmaRules,
  type CorrelationRule,
  type DetectionRule,
  type FilterRule,
  type LoadOptions,
  type LogSource,
  type ParsedRules,
  type RuleMetadata,
  type RuleOrigin,
  type SigmaRule,
  type SigmaSchemas,
} from "./rules.ts";
export { validateJsonSchema, type JsonSchema, type SchemaViolation } from "./schema.ts";
export { SigmaEngine, type SigmaEngineOptions, type SigmaFinding } from "./engine.ts";
export type { GramScanner } from "./literal-search.ts";
export {
  BUILTIN_MAPPINGS,
  builtinMapping,
  guessMapping,
  normalizeRecord,
  UnknownLogSourceError,
  type CategoryMapping,
  type FieldAlias,
  type LogSourceMapping,
  type RecordFormat,
} from "./sources.ts";
export { listRuleFiles, loadRuleDirectory, loadSigmaSchemas, type DirectoryLoad } from "./files.ts";
