"""The follow-up analysis: baseline + follow-up radiographs in, one per-joint result out."""
