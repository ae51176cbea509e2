//! NUT's config files, parsed in layers: words with positions, then
//! validated settings, with every problem reported as `file:line:col`.
