/** The API key, kept in this browser's localStorage so the page asks for it once. */
const STORAGE_KEY = 'toolsmith.apiKey';

export function loadApiKey(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled: the page asks again next time
  }
}

export function saveApiKey(key: string): void {
  try {
    localStorage.setItem(STORAGE_KEY, key);
  } catch {
    // storage disabled: the key still works until the page is closed
  }
}

export function forgetApiKey(): void {
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing was kept
  }
}
