/* Stocks Manager page: each panel is a module that registers itself with the poll. */
import * as about from "./?asset=js/about.js";
import "./?asset=js/alerts.js";
import "./?asset=js/correlation.js";
import * as detail from "./?asset=js/detail.js";
import * as nav from "./?asset=js/nav.js";
import "./?asset=js/pipeline.js";
import { start } from "./?asset=js/poll.js";
import * as rules from "./?asset=js/rules.js";
import * as token from "./?asset=js/token.js";
import * as track from "./?asset=js/track.js";
import * as watchlist from "./?asset=js/watchlist.js";

nav.init();
token.init();
about.init();
track.init();
watchlist.init();
detail.init();
rules.init();
start();
