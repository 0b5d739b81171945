// Secrets out of messages, by structure rather than by search-and-replace of any substring: a
// password "1" must not turn "127.0.0.1" into "***27.0.0.***".

/** A known secret shorter than this is not searched for in free text (it would match by chance). */
export const MIN_SECRET_CHARS = 8;

// scheme://[user][:password]@ — the userinfo of a URL, wherever it appears in a line.
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*):([^\s/?#@]*)@/gi;

/**
 * `text` with the password of every URL in it masked (`postgres://app:***@db/x`), and every
 * occurrence of a known secret (and its URL-decoded form) of at least MIN_SECRET_CHARS masked.
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text.replace(USERINFO, (_m, scheme: string, user: string, password: string) =>
    password === '' ? `${scheme}${user}:@` : `${scheme}${user}:***@`,
  );
  const known = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    known.add(s);
    known.add(safeDecode(s));
  }
  // Longest first, so a secret that contains another is masked whole.
  for (const s of [...known].sort((a, b) => b.length - a.length)) {
    if (s.length >= MIN_SECRET_CHARS) out = out.split(s).join('***');
  }
  return out;
}

/** The password of a URL (decoded), or undefined. */
export function passwordOf(url: string): string | undefined {
  try {
    const p = new URL(url).password;
    return p ? safeDecode(p) : undefined;
  } catch {
    return undefined;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
