// Roles, usable on the server and in the browser bundle.
export const ROLES = ["admin", "analyst", "viewer"] as const;
export type Role = (typeof ROLES)[number];
const ROLE_RANK: Record<Role, number> = { viewer: 0, analyst: 1, admin: 2 };

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** True when `user` has at least `role` (admin > analyst > viewer). */
export function hasRole(user: { role: string }, role: Role): boolean {
  return isRole(user.role) && ROLE_RANK[user.role] >= ROLE_RANK[role];
}
