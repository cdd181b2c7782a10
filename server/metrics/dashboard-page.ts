/**
 * The dashboard's HTML: a static shell the script (dashboard/, bundled into dist/dashboard/) fills
 * from `GET /swarmcdn/dashboard/data` every second. Nothing in it comes from a request or a
 * client, so it is one constant; the script writes values with textContent only.
 */
import { DASHBOARD_SCRIPT_PATH, DASHBOARD_STYLE_PATH } from '../../protocol/messages/dashboard.js';

/** The page. Element ids are the script's (dashboard/view.ts) and the e2e test's contract. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>swarmcdn dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${DASHBOARD_STYLE_PATH}">
<script src="${DASHBOARD_SCRIPT_PATH}" defer></script>
</head>
<body>
<header><h1>swarmcdn</h1><span id="status" class="status">connecting…</span></header>
<main>
<section class="tiles">
<div class="tile"><span class="label">Peers online</span><span class="value" id="peers-online" data-value="">–</span></div>
<div class="tile"><span class="label">Tracker sessions</span><span class="value" id="tracker-sessions" data-value="">–</span></div>
<div class="tile"><span class="label">Offload</span><span class="value" id="offload" data-value="">–</span></div>
<div class="tile"><span class="label">Swarms</span><span class="value" id="swarms" data-value="">–</span></div>
<div class="tile"><span class="label">Manifest</span><span class="value" id="manifest-version" data-value="">–</span></div>
</section>
<section class="panel wide"><h2>Offload over time</h2><div id="chart"></div></section>
<section class="panel"><h2>Bytes by source</h2>
<table id="bytes">
<tr data-source="peer"><th>peers</th><td class="bar"><span></span></td><td class="num" id="bytes-peer" data-value="">–</td></tr>
<tr data-source="cache"><th>cache</th><td class="bar"><span></span></td><td class="num" id="bytes-cache" data-value="">–</td></tr>
<tr data-source="origin"><th>origin</th><td class="bar"><span></span></td><td class="num" id="bytes-origin" data-value="">–</td></tr>
</table>
<p class="note">As pages report them, each capped at what a page could move.</p>
</section>
<section class="panel"><h2>Top files by holders</h2><ol id="top-files"></ol><p class="note" id="top-files-empty">No file is held yet.</p></section>
</main>
</body>
</html>
`;
