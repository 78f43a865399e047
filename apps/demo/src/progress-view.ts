import { el, h } from './dom.js';
import { formatBytes } from './format.js';

/** First-load progress: one bar per file with bytes so far and the total. */
export class ProgressView {
  private readonly rows = new Map<string, { bar: HTMLProgressElement; text: HTMLElement }>();
  private finished = false;

  /** Shows or updates the row of `path`. */
  update(path: string, loaded: number, total: number): void {
    if (this.finished) return;
    const box = el('progress');
    box.hidden = false;
    let row = this.rows.get(path);
    if (!row) {
      const name = path.split('/').slice(-2).join('/');
      const bar = h('progress', '', { 'aria-label': `download of ${name}` }) as HTMLProgressElement;
      const text = h('span');
      const li = h('li');
      li.append(h('span', name, { class: 'file' }), bar, text);
      box.querySelector('ul')!.append(li);
      row = { bar, text };
      this.rows.set(path, row);
    }
    row.bar.max = Math.max(1, total);
    row.bar.value = loaded;
    row.text.textContent = `${formatBytes(loaded)} / ${formatBytes(total)}`;
  }

  /** Hides the bars for good (after the first grid is drawn; later loads are small or cached). */
  done(): void {
    this.finished = true;
    el('progress').hidden = true;
  }
}
