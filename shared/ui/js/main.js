/* Stocks Manager page: each panel is a module that registers itself with the poll. */
import * as detail from "./?asset=js/detail.js";
import { start } from "./?asset=js/poll.js";
import * as token from "./?asset=js/token.js";
import * as track from "./?asset=js/track.js";
import "./?asset=js/watchlist.js";
import "./?asset=js/pipeline.js";

token.init();
track.init();
detail.init();
start();
