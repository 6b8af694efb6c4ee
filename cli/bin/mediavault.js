#!/usr/bin/env node
// The `mediavault` bin. A file of its own, not the build output itself, so npm can link it
// before the build exists (in the repository, `npm ci` builds the packages after linking).
import '../dist/bin.js';
