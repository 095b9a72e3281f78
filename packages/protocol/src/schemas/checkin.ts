import { z } from "zod";
import { AssetFacts } from "./asset.ts";
import { Identifier, ProtocolVersion } from "./common.ts";
import { TaskAssignment } from "./task.ts";

/** POST /checkin (signed). */
export const CheckinRequest = z.object({
  protocolVersion: ProtocolVersion,
  facts: AssetFacts,
  /** Tasks the responder is still working on, so the console can tell it which to cancel. */
  activeTaskIds: z.array(Identifier).max(256),
});

export const CheckinResponse = z.object({
  status: z.literal("ok"),
  nextCheckinSec: z.int().min(1).max(86_400),
  tasks: z.array(TaskAssignment).max(64),
  cancelTaskIds: z.array(Identifier).max(256),
});

export type CheckinRequest = z.infer<typeof CheckinRequest>;
export type CheckinResponse = z.infer<typeof CheckinResponse>;
