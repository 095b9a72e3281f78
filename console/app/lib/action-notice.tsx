import type { ReactNode } from "react";

type ActionOutcome = { error: string } | { message: string };

/** A form action's outcome: an error as an alert, or a message with an optional detail (e.g. a secret shown once). */
export function ActionNotice({ result, children }: { result: ActionOutcome | undefined; children?: ReactNode }) {
  if (!result) return null;
  if ("error" in result) {
    return (
      <p className="notice error" role="alert">
        {result.error}
      </p>
    );
  }
  return (
    <div className="notice" role="status">
      <p>{result.message}</p>
      {children}
    </div>
  );
}
