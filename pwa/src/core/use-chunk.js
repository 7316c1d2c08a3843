import { useEffect, useState } from 'preact/hooks';

/**
 * A part of the police apps fetched when needed (the console, the stats page, the account screens), so that no
 * visitor's precache pays for it: `load` is its `import()`. Returns `{module, failed, retry}`;
 * `module` is null while it loads or after it failed, and `retry()` asks again.
 */
export function useChunk(load) {
  const [loaded, setLoaded] = useState(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    setLoaded(null);
    load().then(
      (module) => current && setLoaded(module),
      () => current && setLoaded('failed'),
    );
    return () => {
      current = false;
    };
  }, [attempt]);

  return {
    module: loaded && loaded !== 'failed' ? loaded : null,
    failed: loaded === 'failed',
    retry: () => setAttempt((n) => n + 1),
  };
}
