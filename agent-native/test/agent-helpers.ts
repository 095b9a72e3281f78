import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TaskAssignment } from "@corvid/protocol";

export function acquisition(taskId: string, artifacts: TaskAssignment["artifacts"], timeoutSec = 300): TaskAssignment {
  return {
    taskId,
    kind: "acquisition",
    caseId: "case_1",
    artifacts,
    limits: { cpuPercent: 80, memoryMb: 2048, timeoutSec },
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  };
}

/** A passwd/group pair whose only login account has its home (with the given files) under `root`. */
export function fakeAccounts(root: string, files: Record<string, string | Buffer>): { passwd: string; group: string; home: string } {
  const home = join(root, "home/analyst");
  for (const [relativePath, content] of Object.entries(files)) {
    mkdirSync(join(home, relativePath, ".."), { recursive: true });
    writeFileSync(join(home, relativePath), content);
  }
  mkdirSync(home, { recursive: true });
  const passwd = join(root, "passwd");
  const group = join(root, "group");
  writeFileSync(passwd, `analyst:x:1000:1000::${home}:/bin/bash\n`);
  writeFileSync(group, "analyst:x:1000:\n");
  return { passwd, group, home };
}

export async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
