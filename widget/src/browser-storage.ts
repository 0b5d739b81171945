// localStorage under one prefix per gateway and app; a page that forbids storage just forgets.

export class BrowserStorage {
  readonly #prefix: string;

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  get(key: string): string | null {
    try {
      return localStorage.getItem(this.#prefix + key);
    } catch {
      return null;
    }
  }

  set(key: string, value: string): void {
    try {
      localStorage.setItem(this.#prefix + key, value);
    } catch {
      // storage full or forbidden: the widget still works for this page view
    }
  }

  remove(key: string): void {
    try {
      localStorage.removeItem(this.#prefix + key);
    } catch {
      // as above
    }
  }
}
