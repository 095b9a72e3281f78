import os from "node:os";
import { readdir, readlink } from "node:fs/promises";
import { z } from "zod";
import { parseProcNet, type SocketProtocol } from "../parsers/proc.ts";
import { loadAccounts } from "./accounts.ts";
import { listOptionalDirectory, readOptionalText, warnAll, type SourceContext, type SourceKind } from "./source.ts";

const PROTOCOLS = ["tcp", "tcp6", "udp", "udp6"] as const satisfies readonly SocketProtocol[];

const args = z.strictObject({
  proc_root: z.string().default("/proc"),
  passwd_path: z.string().default("/etc/passwd"),
  group_path: z.string().default("/etc/group"),
  protocols: z.array(z.enum(PROTOCOLS)).default([...PROTOCOLS]),
});

export const linuxConnections: SourceKind<z.infer<typeof args>> = {
  kind: "linux.connections",
  description: "TCP and UDP sockets from /proc/net with state, listening flag, owner and owning process.",
  args,
  async *collect(options, context) {
    const { userNameByUid } = await loadAccounts(context, options.passwd_path, options.group_path);
    const owners = await socketOwners(options.proc_root, context);
    const littleEndian = os.endianness() === "LE";
    for (const protocol of options.protocols) {
      const path = `${options.proc_root}/net/${protocol}`;
      const text = await readOptionalText(context, path);
      if (text === null) continue;
      const parsed = parseProcNet(text, protocol, littleEndian);
      warnAll(context, path, parsed.errors);
      for (const socket of parsed.records) {
        const owner = owners.get(socket.inode);
        yield {
          protocol,
          family: protocol.endsWith("6") ? "ipv6" : "ipv4",
          local_address: socket.localAddress,
          local_port: socket.localPort,
          remote_address: socket.remoteAddress,
          remote_port: socket.remotePort,
          state: socket.state,
          listening: socket.state === "LISTEN" || (socket.state === "UNCONNECTED" && socket.remotePort === 0),
          uid: socket.uid,
          user: userNameByUid.get(socket.uid) ?? null,
          inode: socket.inode,
          pid: owner?.pid ?? null,
          process_name: owner?.name ?? null,
        };
      }
      await context.pace();
    }
  },
};

const SOCKET_LINK = /^socket:\[(\d+)\]$/;

/** Socket inode → first process holding it open, found through the `socket:[inode]` links in /proc/<pid>/fd. */
async function socketOwners(proc_root: string, context: SourceContext): Promise<Map<number, { pid: number; name: string | null }>> {
  const owners = new Map<number, { pid: number; name: string | null }>();
  const pids = (await listOptionalDirectory(context, proc_root)).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    let descriptors: string[];
    try {
      descriptors = await readdir(`${proc_root}/${pid}/fd`);
    } catch {
      // Exited, or another user's process without privileges: its sockets stay unattributed.
      continue;
    }
    let name: string | null | undefined;
    for (const descriptor of descriptors) {
      const target = await readlink(`${proc_root}/${pid}/fd/${descriptor}`).catch(() => null);
      const match = target === null ? null : SOCKET_LINK.exec(target);
      if (!match) continue;
      const inode = Number(match[1]);
      if (owners.has(inode)) continue;
      name ??= (await readOptionalText(context, `${proc_root}/${pid}/comm`))?.trim() ?? null;
      owners.set(inode, { pid: Number(pid), name });
    }
    await context.pace();
  }
  return owners;
}
