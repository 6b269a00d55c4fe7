#!/usr/bin/env node
// Runs the generator from its TypeScript sources (tsx compiles them on the fly).
import { register } from "tsx/esm/api";

register();
await import("../generator/cli.ts");
