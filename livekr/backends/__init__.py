"""Ways to run a checkpoint on the CPU besides torch fp32, and the choice between them.

``onnx_runtime``: export to ONNX (cached per checkpoint), fp32 and MatMul-only int8; ``parity``:
the probe that a converted or lower-precision model must pass against torch fp32; ``store``:
livekr's cache folder and the remembered measurements; ``choice``: which candidate runs, measured
once per checkpoint and CPU. ``livekr.recognizer.load_recognizer`` is the one entry point.
"""
