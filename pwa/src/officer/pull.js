// Bring many documents up to date in one round trip: the batch call `POST /sync` with only each
// document's step 1 ("send me what I lack"). Used for every incident of the unit and its report,
// so that all of them are on the phone before the signal goes.
import { HttpError, httpError } from '../core/http-error.js';
import { decodeBatch, encodeBatch, groups } from '../core/sync/batch.js';
import { applyAnswer, syncRead } from '../core/sync/messages.js';
import { timedFetch } from '../core/timed-fetch.js';

/** `docs`: Map name → Y.Doc. Resolves to [{name, status, error}]; throws HttpError (0: no answer). */
export async function pullDocs(docs, token) {
  const results = [];
  for (const group of groups([...docs.keys()], () => 64)) {
    let response;
    try {
      response = await timedFetch(
        fetch,
        '/sync',
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/octet-stream', Authorization: `Bearer ${token}` },
          body: encodeBatch(group.map((name) => [name, syncRead(docs.get(name))])),
          credentials: 'omit',
        },
        30_000,
      );
    } catch {
      throw new HttpError(0, 'network', null);
    }
    if (!response.ok) throw await httpError(response);
    for (const answer of decodeBatch(new Uint8Array(await response.arrayBuffer()))) {
      if (answer.status === 200) applyAnswer(docs.get(answer.name), answer.body, 'server');
      results.push(answer);
    }
  }
  return results;
}
