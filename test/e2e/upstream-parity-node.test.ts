// Upstream parity (see upstream-parity.test.ts): the cases ported from upstream's cloud node and
// node lifecycle controller tests, through upstream's CCM and Outrigger on one real test cluster.
import { paritySuite } from '../compare/e2e-suite.js';

paritySuite('node and node lifecycle controllers', (c) => /node_controller_test|node_lifecycle_controller_test/.test(c.source));
