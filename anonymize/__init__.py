"""Anonymization: turns raw records into safe, suppressed aggregates and publishes them.

Glossary of the disclosure-control terms the modules use:

- **cell**: one published figure's row of a cell table (a region × program × period × channel, say) with its
  measures; a *hidden* (suppressed) cell publishes none of them.
- **relation**: one total and the parts it adds up from (a kabupaten and its kecamatan; the year and its months),
  an equation (or, for distinct households, a bound) an attacker can write from the published table
  (`anonymize.table.Relation`).
- **family**: one way a dimension makes totals from parts: the region tree is one family, the period axis has one
  for the year and one for each earlier release's year to date. All relations of a family share its mapping
  (`Dimension.families`).
- **nesting**: the groups of cells sharing a region subtree, at every depth from kecamatan up
  (`CellTable.nesting`): the pieces a large component is attacked in.
- **piece**: one such group of a component too large to solve whole: it is attacked with the rest of the component
  held at one feasible point, which still gives an inner bound of every hidden value's interval
  (`anonymize.attack`).
- **anchor**: a feasible point of the attack's system to start from: the true values (only the publisher has
  them), or the midpoint of two extreme points.
- **settled**: results of an earlier attack carried over to the next (`attack.Settled`): a component none of whose
  variables changed is not attacked again after more cells are hidden.
- **primary / secondary suppression**: hiding the cells below the threshold, then partners until the attack (the
  audit) cannot narrow any hidden value below the required width.
- **un-hiding**: the last pass of protection, publishing again partners whose release the attack still cannot
  exploit (`anonymize.unhide`); settled results are carried only for components no un-hidden cell was in
  (un-hiding removes unknowns, so points seen before need not stay feasible).
"""
