// What the warnings keep on the phone, in a database of their own (so the reports' database and
// its version stay untouched):
//   kv       'list' {warnings, etag, at, exercise}: the last list from GET /api/warnings, shown offline
//            'areas' {here, current, chosen, exercises, synced}: where this phone follows warnings
//            'boundaries' {geojson, etag}: the public ward shapes (the map, "where I am")
//            'wards' {wards, at}: every ward's code and name, for the chooser
//   answers  one per warning chain: {chain, warning, answer, at, state: waiting|sent|ended|refused}
import { done, openDatabase, transact } from '../../core/idb.js';

const STORES = { kv: {}, answers: { keyPath: 'chain' } };
const db = () => openDatabase('sos-warnings', 1, STORES);

export const getKey = (key) => transact(db(), ['kv'], 'readonly', ({ kv }) => done(kv.get(key)));

export const putKey = (key, value) => transact(db(), ['kv'], 'readwrite', ({ kv }) => done(kv.put(value, key)));

export const allAnswers = () => transact(db(), ['answers'], 'readonly', ({ answers }) => done(answers.getAll()));

export const putAnswer = (record) =>
  transact(db(), ['answers'], 'readwrite', ({ answers }) => done(answers.put(record)));
