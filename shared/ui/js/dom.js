/* Small DOM helpers: the page is updated in place, so focus, selection and scroll survive. */

export const $ = (selector) => document.querySelector(selector);

/* Set an element's text only when it changed (no needless DOM mutation for screen readers). */
export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/* Set (or remove, for null) an attribute only when it changed. */
export function setAttr(element, name, value) {
  if (value == null) element.removeAttribute(name);
  else if (element.getAttribute(name) !== value) element.setAttribute(name, value);
}

export function setClass(element, className) {
  if (element.className !== className) element.className = className;
}

/* Keep `container`'s children one per item, in the items' order, keyed by `keyOf(item)`:
   an existing child is updated in place by `update(child, item)`, a new one is made by
   `build(item)` then updated, the others removed (a key met twice gets a suffix, so two equal
   items stay two children). Whatever had focus keeps it. */
export function syncChildren(container, items, keyOf, build, update) {
  const focused = document.activeElement;
  const existing = new Map();
  for (const child of container.children) {
    if (child.dataset.key !== undefined) existing.set(child.dataset.key, child);
  }
  const kept = new Set();
  const seen = new Map();
  items.forEach((item, index) => {
    const base = keyOf(item);
    const times = seen.get(base) || 0;
    seen.set(base, times + 1);
    const key = times ? `${base}#${times}` : base;
    let child = existing.get(key);
    if (!child) {
      child = build(item);
      child.dataset.key = key;
    }
    update(child, item);
    kept.add(child);
    const here = container.children[index];
    if (here !== child) container.insertBefore(child, here || null);
  });
  for (const child of [...container.children]) if (!kept.has(child)) child.remove();
  if (focused && focused.isConnected && document.activeElement !== focused) {
    focused.focus({ preventScroll: true });  // a moved row loses focus in Chromium: give it back
  }
}

export function element(tag, properties = {}, ...children) {
  const made = Object.assign(document.createElement(tag), properties);
  made.append(...children);
  return made;
}
