"""The rules: the pack as data, plugins and custom rules, selection, and their docs."""
