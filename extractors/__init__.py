"""Files to cells, cells to forms: the extraction stages of selfeval.

`inputs` turns a file into a `Grid` of rows of cells, `segment` cuts a grid into one
`Segment` per form, and `rebuild` turns a segment into a `schemas.model.Form`.
"""
