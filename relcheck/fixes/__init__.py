"""Automatic fixes: each fixable rule's fixer turns a finding into text edits; `relcheck fix`
applies them in a copy of the tree, checks the result, and writes the changed files back."""
