#!/usr/bin/env node
// Runs the built CLI (npm install builds it; `npm run build` rebuilds it).
import '../dist/cli/main.js';
