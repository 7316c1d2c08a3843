// Screens of the citizen app as hash routes: the app lives at "/" alone (the service worker
// serves that one shell offline), so every screen is "/#/…" and needs no server route.
//   #/                 make a report        #/reports/<id>   one report
//   #/reports          my reports           #/contact        contact for call-backs
//   #/warnings         public warnings      #/warnings/<id>  one (a push opens it)
//   #/warnings/areas   where I am warned   #/quiet/<id>     after a silent report
import { useHashRoute } from '../core/hash-route.js';

export function parseRoute(hash) {
  const path = hash.replace(/^#/, '') || '/';
  const report = path.match(/^\/reports\/([A-Za-z0-9_-]{1,64})$/);
  if (report) return { screen: 'report', id: report[1] };
  if (path === '/reports') return { screen: 'reports' };
  const quiet = path.match(/^\/quiet\/([A-Za-z0-9_-]{1,64})$/); // after a silent report (issue 29)
  if (quiet) return { screen: 'quiet', id: quiet[1] };
  if (path === '/warnings') return { screen: 'warnings' };
  if (path === '/warnings/areas') return { screen: 'warning-areas' };
  const warning = path.match(/^\/warnings\/([A-Za-z0-9_-]{1,64})$/);
  if (warning) return { screen: 'warning', id: warning[1] };
  if (path === '/contact') return { screen: 'contact' };
  return { screen: 'new' };
}

export const useRoute = () => useHashRoute(parseRoute);

export const go = (path) => {
  location.hash = path;
};
