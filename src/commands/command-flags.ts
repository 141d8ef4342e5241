/** The commands of zephr-sync, and the flags each one takes (every one also takes --help). */
export const commandFlags = {
  run: [],
  backfill: [
    "since",
    "registered-since",
    "registered-before",
    "chunk",
    "resume",
    "full",
    "purge-deleted",
    "dry-run",
  ],
  load: ["full", "purge-deleted", "exported-at", "dry-run"],
  status: ["json", "runs", "max-age"],
  migrate: [],
  schedule: [],
} as const satisfies Record<string, readonly string[]>;

export type CommandName = keyof typeof commandFlags;

export function isCommandName(name: string | undefined): name is CommandName {
  return name !== undefined && Object.hasOwn(commandFlags, name);
}

/** Flags any command takes. */
export const globalFlags = ["help", "version"] as const;

/** The commands that take `flag`, in the order above. */
export function findCommandsTaking(flag: string): CommandName[] {
  return (Object.keys(commandFlags) as CommandName[]).filter((command) =>
    (commandFlags[command] as readonly string[]).includes(flag),
  );
}
