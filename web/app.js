// The fundsim web app (issue 21): replaced by the page itself.
"use strict";
