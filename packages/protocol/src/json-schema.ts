import { z } from "zod";
import { StoredResponderKeys } from "./crypto/keys.ts";
import { ArtifactDefinition } from "./schemas/artifact.ts";
import { AssetFacts } from "./schemas/asset.ts";
import { CheckinRequest, CheckinResponse } from "./schemas/checkin.ts";
import { EnrollRequest, EnrollResponse } from "./schemas/enrollment.ts";
import { ErrorBody } from "./schemas/error.ts";
import { ConsoleIdentity } from "./schemas/identity.ts";
import { TaskAssignment, TaskProgress, TaskProgressResponse } from "./schemas/task.ts";
import { TimelineEvent } from "./schemas/timeline.ts";
import {
  ChunkReceivedResponse,
  EvidenceManifest,
  UploadBegin,
  UploadBeginResponse,
  UploadCompleteRequest,
  UploadCompleteResponse,
} from "./schemas/upload.ts";

/** Every schema published as JSON Schema under packages/protocol/schema/<name>.json. */
export const PUBLISHED_SCHEMAS = {
  AssetFacts,
  ConsoleIdentity,
  EnrollRequest,
  EnrollResponse,
  CheckinRequest,
  CheckinResponse,
  TaskAssignment,
  TaskProgress,
  TaskProgressResponse,
  UploadBegin,
  UploadBeginResponse,
  ChunkReceivedResponse,
  UploadCompleteRequest,
  UploadCompleteResponse,
  EvidenceManifest,
  ErrorBody,
  TimelineEvent,
  ArtifactDefinition,
  StoredResponderKeys,
} satisfies Record<string, z.ZodType>;

/** File name → pretty-printed JSON Schema text (2020-12), exactly as committed. */
export function renderJsonSchemas(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, schema] of Object.entries(PUBLISHED_SCHEMAS)) {
    const jsonSchema = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input", unrepresentable: "any" });
    const document = { $id: `urn:corvid:protocol:v1:${name}`, title: name, ...jsonSchema };
    files[`${name}.json`] = `${JSON.stringify(document, null, 2)}\n`;
  }
  return files;
}
