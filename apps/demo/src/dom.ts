/** The element `#id`; throws naming it when index.html lacks it. */
export function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`demo: expected an element #${id} in index.html, got none`);
  return e as T;
}

/** Replaces the options of `select`. */
export function fillSelect(
  select: HTMLSelectElement,
  options: readonly { value: string; label: string }[],
  selected: string,
): void {
  select.replaceChildren(...options.map((o) => new Option(o.label, o.value, false, o.value === selected)));
}

/** A new element with text content and attributes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text = '',
  attrs: Readonly<Record<string, string>> = {},
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}
