"""The Qt-free document model: records, leads, device reports."""
