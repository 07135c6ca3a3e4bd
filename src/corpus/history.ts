// The store's memory of sources and items, as the corpus stage sees it.
// corpus/ owns this interface; store/ implements it. Which history a command
// gets is decided where the command is wired: `build`, `send` and `serve`
// record what they publish; `check`, `digest` and `send --dry-run` only look.
import type { ItemState } from '../model.ts';

/** What the corpus stage tells the store about an article. */
export interface ItemRecord {
  id: string;
  /** The source path relative to the articles folder. */
  source: string;
  hash: string;
  title: string;
  published: string;
}

/** The store's side: store/items.ts implements it for both dialects. */
export interface ItemStore {
  /** First-seen moments of every source ever seen, by path relative to the articles folder. */
  sourcesFirstSeen(): Promise<Map<string, string>>;
  /** Records sources not seen before as first seen now; returns every source's first-seen moment. */
  recordSources(paths: string[], now: Date): Promise<Map<string, string>>;
  /**
   * Records the articles of a build: new ones are first seen now, changed
   * ones changed now, missing ones removed now. Returns the state of each.
   */
  syncItems(items: ItemRecord[], now: Date): Promise<Map<string, ItemState>>;
  /** What syncItems would return, without changing anything. */
  previewItems(items: ItemRecord[], now: Date): Promise<Map<string, ItemState>>;
  /** First-seen moments of these sources (those never seen are missing). */
  sourcesFirstSeenOf(paths: string[]): Promise<Map<string, string>>;
  /**
   * Records a new reading of some items only, as syncItems records it for
   * them, leaving every other item as it is. Null, with nothing changed,
   * when one of them is not recorded, was removed or was recorded from
   * another source: that reading is a whole build's to record.
   */
  updateItems(items: ItemRecord[], now: Date): Promise<Map<string, ItemState> | null>;
}

/** What the corpus stage asks of the history. */
export interface ItemHistory {
  /** When each source was first seen; one never seen counts as first seen `now`. */
  firstSeen(paths: string[], now: Date): Promise<Map<string, string>>;
  /** The state of each item after this reading of the sources. */
  items(records: ItemRecord[], now: Date): Promise<Map<string, ItemState>>;
  /**
   * A history that writes: what it will answer, read without writing. The
   * corpus stage parses and renders with the forecast while the store
   * records (the slow part of a first build: 10,000 rows), then redoes the
   * little whose recorded answer differs (another process recorded first).
   */
  forecast?: Pick<ItemHistory, 'firstSeen' | 'items'>;
}

/** Records what is read: new sources and items are remembered as first seen now. */
export function recordingHistory(store: ItemStore): ItemHistory {
  return {
    firstSeen: (paths, now) => store.recordSources(paths, now),
    items: (records, now) => store.syncItems(records, now),
    forecast: previewHistory(store),
  };
}

/** Looks without changing anything. */
export function previewHistory(store: ItemStore): ItemHistory {
  return {
    firstSeen: async (paths, now) => {
      const known = await store.sourcesFirstSeen();
      return new Map(paths.map((p) => [p, known.get(p) ?? now.toISOString()]));
    },
    items: (records, now) => store.previewItems(records, now),
  };
}

/** No store yet: everything is new now. */
export const emptyHistory: ItemHistory = {
  firstSeen: async (paths, now) => new Map(paths.map((p) => [p, now.toISOString()])),
  items: async (records, now) => new Map(records.map((r) => [r.id, { id: r.id, firstSeen: now.toISOString(), lastChanged: null }])),
};
