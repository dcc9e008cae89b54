"""The demo document set's generators, run by scripts/make_demo_data.py.

blocks is a tiny document model that pdf, office (DOCX, XLSX), markup (Markdown, HTML) render; mail
writes e-mails and scan the image-only scanned PDF. The documents are one module per data/docs folder
(hr_policies and hr_procedures, finance, engineering, it_security, general); company holds the facts
they share.
"""
