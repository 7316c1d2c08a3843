// A model the screens follow: `subscribe(fn)` returns the unsubscribe function, and `changed()`
// calls every listener with the model's new `version` (a number a component can keep in state
// to render again).
export class Observable {
  constructor() {
    this.listeners = new Set();
    this.version = 0;
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed() {
    this.version += 1;
    for (const fn of this.listeners) fn(this.version);
  }
}
