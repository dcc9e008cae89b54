"""The partitioners behind ``ingest.partition.partition_file``, one module per family of formats.

- ``common``: what every partitioner shares (options and counters, the element builder, cleaning).
- ``decode``: bytes to text (BOMs, UTF-16, charset guessing, mojibake). ``sniff``: the real file type.
- ``unstructured_bridge``: unstructured set up offline, and its elements into ours.
- ``text``: plain text, markdown, HTML, EPUB. ``sheet``: XLSX, XLS, CSV. ``office``: DOCX, PPTX.
  ``legacy``: .doc, .rtf, .odt, .ppt, .odp, .ods through LibreOffice. ``mail``: EML, MSG and their
  attachments. ``ocr``: images and tesseract.
- ``pdf``: a PDF's entry; ``pdf_pages`` (page model, word geometry), ``pdf_tables`` (ruled and
  borderless tables), ``pdf_text`` (text blocks into elements).

Who owns which outside library (each imported lazily, inside the function that needs it: this runs
in worker processes, and a text file should not pay for loading PDF or OCR libraries):

- unstructured: this package is its only importer. ``unstructured_bridge`` prepares it (offline, the
  PyPI-packaged spaCy model) before ``text``, ``office``, ``mail`` and ``pdf_text`` import its
  partitioners.
- pdfplumber's table finder: ``pdf_tables``, on the ruling strokes PDFium reads.
- pypdf: ``pdf`` (encryption, page labels, sideways pages turned upright).
- tesseract: ``ocr`` (``pdf`` rasterises scanned pages with pdftoppm and hands them over).
- LibreOffice: ``legacy``. python-pptx: ``office``. openpyxl and xlrd: ``sheet``. oxmsg: ``mail``.
  olefile and python-magic: ``sniff``. charset-normalizer: ``decode``. Pillow: ``ocr``.
- PDFium is not imported here: ``ingest.pdf_words`` owns it, and ``ingest.pdf_layout`` groups its
  words into blocks.
"""
