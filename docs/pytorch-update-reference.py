# Reference for the benchmark's update-phase target: PyTorch's mixed-precision update step (FP16 gradient cast
# into an FP32 buffer, GradScaler's fused Inf/NaN check + unscale, the FP32 optimizer on the master, copy
# back to FP16, and GradScaler's found-inf sync) against its plain FP32 optimizer step, on this GPU.
# Run: python3 docs/pytorch-update-reference.py (needs PyTorch and a CUDA GPU).
import json, os, torch
def median_ms(fn, warm=10, reps=50):
    for _ in range(warm): fn()
    torch.cuda.synchronize()
    t = []
    for _ in range(reps):
        s = torch.cuda.Event(enable_timing=True); e = torch.cuda.Event(enable_timing=True)
        s.record(); fn(); e.record(); torch.cuda.synchronize(); t.append(s.elapsed_time(e))
    t.sort(); return t[len(t) // 2]
def make(opt, params, impl):
    kw = {"foreach": True} if impl == "foreach" else {"fused": True}
    if opt == "Adam": return torch.optim.Adam(params, lr=1e-3, **kw)
    return torch.optim.SGD(params, lr=1e-3, momentum=0.9, nesterov=True, **kw)
rows = []
print(torch.__version__, torch.cuda.get_device_name())
for n in (1_000_000, 10_000_000, 100_000_000):
    for opt in ("Adam", "Nesterovs"):
        for impl in ("foreach", "fused"):
            p32 = torch.nn.Parameter(torch.randn(n, device="cuda")); p32.grad = torch.randn(n, device="cuda") * 1e-3
            o32 = make(opt, [p32], impl)
            t32 = median_ms(lambda: o32.step())
            master = torch.nn.Parameter(p32.detach().clone()); master.grad = torch.empty(n, device="cuda")
            half = master.detach().half(); half_grad = (torch.randn(n, device="cuda") * 1e-3 * 1024).half()
            om = make(opt, [master], impl)
            inv = torch.full((1,), 1 / 1024, device="cuda"); found = torch.zeros(1, device="cuda")
            def mixed():
                master.grad.copy_(half_grad)
                found.zero_()
                torch._amp_foreach_non_finite_check_and_unscale_([master.grad], found, inv)
                if found.item() == 0:
                    om.step()
                    half.copy_(master)
            tm = median_ms(mixed)
            row = dict(parameters=n, updater=opt, impl=impl, fp32_ms=round(t32, 4), mixed_ms=round(tm, 4), ratio=round(tm / t32, 3))
            rows.append(row); print(json.dumps(row), flush=True)
            del p32, o32, master, om, half, half_grad
json.dump(rows, open(os.path.join(os.environ.get("OUT", "."), "pytorch-update-reference.json"), "w"), indent=1)
