import { AppError } from '../common/errors/app-error.js';
import {
  ErrorCode,
  Limits,
  type MetadataItem,
  type RevisionConflictDetails,
} from '@avalon-realtime/client/protocol';
import type { WriteCommand } from './metadata.engine.js';

/** A channel as both engines hold it during a write. */
export interface ChannelState {
  majorRevision: number;
  items: Map<string, MetadataItem>;
}

export interface PlannedWrite {
  majorRevision: number;
  written: MetadataItem[];
  removed: string[];
}

/**
 * The revision rules of a write, shared by both engines: checks the expected revisions
 * against the current state and plans the new items. Throws REVISION_CONFLICT,
 * NOT_FOUND or PAYLOAD_TOO_LARGE; returns the plan, or undefined when nothing changes.
 */
export function planWrite(
  current: ChannelState,
  cmd: WriteCommand,
  now: number,
): PlannedWrite | undefined {
  checkRevisions(current, cmd);
  if (cmd.kind === 'remove') {
    const keys = cmd.keys ?? [...current.items.keys()];
    const removed = keys.filter((key) => current.items.has(key));
    return removed.length > 0
      ? { majorRevision: current.majorRevision + 1, written: [], removed }
      : undefined;
  }
  const items = cmd.items ?? [];
  const missing = items.find((item) => !current.items.has(item.key));
  if (cmd.kind === 'update' && missing) {
    throw new AppError(ErrorCode.NOT_FOUND, `item ${missing.key} does not exist`, {
      key: missing.key,
    });
  }
  const added = items.filter((item) => !current.items.has(item.key)).length;
  if (current.items.size + added > Limits.ITEMS_PER_CHANNEL) {
    throw new AppError(
      ErrorCode.PAYLOAD_TOO_LARGE,
      `a channel holds at most ${Limits.ITEMS_PER_CHANNEL} items`,
    );
  }
  const written = items.map((item) => ({
    key: item.key,
    value: item.value,
    revision: (current.items.get(item.key)?.revision ?? 0) + 1,
    updatedAt: now,
    authorUserId: cmd.authorUserId,
  }));
  return { majorRevision: current.majorRevision + 1, written, removed: [] };
}

function checkRevisions(current: ChannelState, cmd: WriteCommand): void {
  const named =
    cmd.items?.map((item) => ({ key: item.key, expected: item.revision })) ??
    cmd.keys?.map((key) => ({ key, expected: undefined })) ??
    [];
  const majorOk =
    cmd.majorRevision === undefined ||
    cmd.majorRevision < 0 ||
    cmd.majorRevision === current.majorRevision;
  const itemsOk = named.every(
    ({ key, expected }) =>
      expected === undefined ||
      expected < 0 ||
      expected === (current.items.get(key)?.revision ?? 0),
  );
  if (!majorOk || !itemsOk) {
    const details: RevisionConflictDetails = {
      majorRevision: current.majorRevision,
      items: named.map(({ key }) => ({ key, revision: current.items.get(key)?.revision ?? 0 })),
    };
    throw new AppError(ErrorCode.REVISION_CONFLICT, 'revision conflict', details);
  }
}

/** Items in a stable order: by key. */
export const sortedItems = (items: Iterable<MetadataItem>): MetadataItem[] =>
  [...items].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
