"""The study data contract's file formats (data-spec.md, File formats)."""
