/**
 * The windows in flight of one key under a merging assigner (sessions), and the *state window*
 * each of them keeps its contents under (Flink's MergingWindowSet).
 *
 * When windows merge, their contents are not moved to a namespace named after the new window:
 * the merged window keeps the state window of one of the windows it absorbed, and only the
 * others' contents are merged into it. So a session that grows record by record never copies its
 * contents. The mapping window -> state window is itself keyed state (a list of namespace pairs
 * under the void namespace), so it is checkpointed and rescaled with the contents.
 *
 * One instance serves every key of an operator: `load()` reads the current key's mapping,
 * `persist()` writes it back if it changed.
 */
import type { MergingWindowAssigner } from '../../api/windowing/assigners.js';
import { WindowStateError } from '../../api/windowing/errors.js';
import type { MergeCallback, Window, WindowSerializer } from '../../api/windowing/windows.js';
import { keyIdentity, ListStateDescriptor, VOID_NAMESPACE, type KeyedStateBackend, type KeyId, type ListState } from '../../state/index.js';

/** What happens to state when windows merge; called once per merge group. */
export interface MergeFunction<W extends Window> {
  /**
   * `mergedWindows` (the windows in flight that were absorbed, not the new one) became
   * `mergeResult`, whose contents live in `stateWindowResult`; the contents of
   * `mergedStateWindows` must be merged into it.
   */
  merge(mergeResult: W, mergedWindows: readonly W[], stateWindowResult: W, mergedStateWindows: readonly W[]): void;
}

interface Entry<W> {
  readonly id: KeyId;
  readonly window: W;
  readonly stateWindow: W;
}

/** The state name Flink uses for the mapping. */
export const MERGING_WINDOW_SET_STATE = 'merging-window-set';

export class MergingWindowSet<W extends Window> implements MergeCallback<W> {
  private readonly mapping = new Map<KeyId, Entry<W>>();
  /**
   * The decoded form of each stored mapping list, by the list object the state holds. The state
   * replaces the list on every write (update copies), so a list seen again is unchanged and its
   * windows need not be parsed again; lists no longer stored are collected with their entry.
   */
  private readonly decoded = new WeakMap<readonly unknown[], readonly Entry<W>[]>();
  private readonly state: ListState<[unknown, unknown]>;
  private changed = false;
  /** The merge groups reported by the assigner during one `addWindow`. */
  private groups: { result: W; merged: W[] }[] = [];

  constructor(
    private readonly assigner: MergingWindowAssigner<unknown, W>,
    private readonly serializer: WindowSerializer<W>,
    private readonly backend: KeyedStateBackend,
  ) {
    this.state = backend.getListState(new ListStateDescriptor<[unknown, unknown]>(MERGING_WINDOW_SET_STATE));
  }

  /** Reads the current key's windows in flight. */
  load(): void {
    this.mapping.clear();
    this.changed = false;
    this.backend.setCurrentNamespace(VOID_NAMESPACE);
    const stored = this.state.get();
    let entries = this.decoded.get(stored);
    if (entries === undefined) {
      const fresh: Entry<W>[] = [];
      const serializer = this.serializer;
      for (const [windowNs, stateWindowNs] of stored) {
        const window = serializer.fromNamespace(windowNs);
        const stateWindow = stateWindowNs === windowNs ? window : serializer.fromNamespace(stateWindowNs);
        fresh.push({ id: keyIdentity(windowNs, 'namespace'), window, stateWindow });
      }
      this.decoded.set(stored, fresh);
      entries = fresh;
    }
    for (const entry of entries) this.mapping.set(entry.id, entry);
  }

  /** Writes the current key's windows in flight back, if they changed since `load()`. */
  persist(): void {
    if (!this.changed) return;
    this.changed = false;
    this.backend.setCurrentNamespace(VOID_NAMESPACE);
    if (this.mapping.size === 0) {
      this.state.clear();
      return;
    }
    const pairs: [unknown, unknown][] = [];
    const entries: Entry<W>[] = [];
    for (const entry of this.mapping.values()) {
      pairs.push([this.serializer.toNamespace(entry.window), this.serializer.toNamespace(entry.stateWindow)]);
      entries.push(entry);
    }
    this.state.update(pairs);
    this.decoded.set(this.state.get(), entries);
  }

  /** The window whose namespace holds `window`'s contents; undefined if `window` is not in flight. */
  getStateWindow(window: W): W | undefined {
    return this.mapping.get(this.idOf(window))?.stateWindow;
  }

  /** Removes a window that was purged for good (cleaned up, or late on arrival). */
  retireWindow(window: W): void {
    if (!this.mapping.delete(this.idOf(window))) throw new WindowStateError(`Window ${String(window)} is not in the in-flight window set.`);
    this.changed = true;
  }

  /**
   * Adds a new window, merging it with the windows in flight it overlaps; returns the window it
   * ended up in (itself, or the merged one). `mergeFunction` is called for every merge, before
   * this returns, with the set already updated.
   */
  addWindow(newWindow: W, mergeFunction: MergeFunction<W>): W {
    const newId = this.idOf(newWindow);
    // The windows in flight never overlap each other, so an equal window changes nothing.
    if (this.mapping.has(newId)) return this.mapping.get(newId)!.window;

    const candidates: W[] = [];
    for (const entry of this.mapping.values()) candidates.push(entry.window);
    candidates.push(newWindow);
    this.groups = [];
    this.assigner.mergeWindows(candidates, this);
    const groups = this.groups;
    this.groups = [];

    let resultWindow = newWindow;
    let mergedNewWindow = false;
    for (const { result, merged } of groups) {
      const at = merged.findIndex((w) => this.idOf(w) === newId);
      if (at >= 0) {
        merged.splice(at, 1);
        mergedNewWindow = true;
        resultWindow = result;
      }
      // The merged window keeps the state window of one of the windows it absorbed.
      const stateWindowResult = this.mapping.get(this.idOf(merged[0]!))!.stateWindow;
      const stateWindowResultId = this.idOf(stateWindowResult);
      const mergedStateWindows: W[] = [];
      for (const w of merged) {
        const id = this.idOf(w);
        const entry = this.mapping.get(id);
        if (entry === undefined) continue;
        this.mapping.delete(id);
        if (this.idOf(entry.stateWindow) !== stateWindowResultId) mergedStateWindows.push(entry.stateWindow);
      }
      const resultId = this.idOf(result);
      this.mapping.set(resultId, { id: resultId, window: result, stateWindow: stateWindowResult });
      this.changed = true;
      // Absorbing a window into an existing one that covers it is no merge of state.
      if (!(merged.length === 1 && this.idOf(merged[0]!) === this.idOf(result))) {
        mergeFunction.merge(result, merged, stateWindowResult, mergedStateWindows);
      }
    }
    if (!mergedNewWindow) {
      this.mapping.set(newId, { id: newId, window: newWindow, stateWindow: newWindow });
      this.changed = true;
    }
    return resultWindow;
  }

  /** @internal The assigner's merge callback. */
  merge(toBeMerged: readonly W[], mergeResult: W): void {
    this.groups.push({ result: mergeResult, merged: [...toBeMerged] });
  }

  /** The windows in flight of the current key (after `load()`), for tests and debugging. */
  windows(): W[] {
    return [...this.mapping.values()].map((e) => e.window);
  }

  private idOf(window: W): KeyId {
    return keyIdentity(this.serializer.toNamespace(window), 'namespace');
  }
}
