import { stat } from "node:fs/promises";

/** The value after `--name` on the command line of a sigma script, if given. */
export function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

/**
 * Exits with code 2 and a message naming `path` and what it is for (`role`) unless it is a directory this process can
 * list: scripts given a wrong path say so instead of failing deep inside with a stack trace.
 */
export async function requireDirectory(path: string, role: string): Promise<void> {
  let problem: string | undefined;
  try {
    if (!(await stat(path)).isDirectory()) problem = "is not a directory";
  } catch (error) {
    problem = `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  if (problem === undefined) return;
  console.error(`${role} ${path} ${problem}`);
  process.exit(2);
}
