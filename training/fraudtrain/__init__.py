"""fraudtrain: reproducible LightGBM trainer for fraudscore; writes model.onnx plus its model card."""
