// SPDX-License-Identifier: GPL-2.0-only
/*
 * Doorbells: how one host makes another look at its mailboxes now.
 *
 * Two back-ends behind morsel_doorbell_ring():
 *  - ivshmem: QEMU's ivshmem-doorbell PCI device. Writing
 *    (peer << 16 | vector) to the Doorbell register raises MSI-X vector
 *    `vector` on peer `peer`; IVPosition gives this host's peer id, which is
 *    its host id in the registry.
 *  - none: no interrupt exists (real CXL 3.0 has no inter-host interrupt in
 *    the memory protocol); the receiving handler polls its mailboxes, and
 *    ringing is a no-op. Selected with morsel.host_id= when no doorbell
 *    device is present.
 */
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <trace/events/morsel.h>
#include "internal.h"

#define IVSHMEM_REG_INTRMASK	0x00
#define IVSHMEM_REG_INTRSTATUS	0x04
#define IVSHMEM_REG_IVPOSITION	0x08
#define IVSHMEM_REG_DOORBELL	0x0c

struct morsel_doorbell {
	struct pci_dev *pdev;
	void __iomem *regs;
	int peer_id;
	int irq;
};

/* Written once at probe; the pool's lock orders it against online. */
static struct morsel_doorbell *the_doorbell;

/*
 * What the layers above asked to be told (morsel_doorbell_init()): set
 * before the driver registers, so before any probe or interrupt reads them.
 */
static struct morsel_pool *rx_pool;
static void (*rang_fn)(struct morsel_pool *p);
static void (*ready_fn)(void);

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "morsel."

/* Host id for the polled back-end (no doorbell device). */
static int host_id_param = -1;
module_param_named(host_id, host_id_param, int, 0444);
MODULE_PARM_DESC(host_id, "host id when no ivshmem-doorbell device exists");

/**
 * morsel_doorbell_ring() - interrupt a host.
 * @p: the pool.
 * @host: the host to interrupt.
 *
 * Return: 0, or -ENODEV without a doorbell back-end (the receiver polls).
 */
int morsel_doorbell_ring(struct morsel_pool *p, unsigned int host)
{
	struct morsel_doorbell *db = READ_ONCE(the_doorbell);

	if (!db)
		return -ENODEV;
	/* The mailbox stores must be globally visible before the MMIO write. */
	wmb();
	writel((host << 16) | 0, db->regs + IVSHMEM_REG_DOORBELL);
	atomic64_inc(&p->stats.doorbells_sent);
	return 0;
}

/**
 * morsel_doorbell_peer_id() - this host's id as given by the back-end.
 *
 * Return: the ivshmem peer id, else morsel.host_id=, else -1.
 */
int morsel_doorbell_peer_id(void)
{
	struct morsel_doorbell *db = READ_ONCE(the_doorbell);

	return db ? db->peer_id : host_id_param;
}

/**
 * morsel_doorbell_kind() - which back-end this host's receive side uses.
 *
 * Return: MORSEL_DOORBELL_IVSHMEM or MORSEL_DOORBELL_NONE.
 */
u32 morsel_doorbell_kind(void)
{
	return READ_ONCE(the_doorbell) ? MORSEL_DOORBELL_IVSHMEM :
					 MORSEL_DOORBELL_NONE;
}

static irqreturn_t ivshmem_irq(int irq, void *data)
{
	struct morsel_pool *p = data;

	atomic64_inc(&p->stats.doorbell_irqs);
	trace_morsel_doorbell_irq(p->host_id);
	rang_fn(p);
	return IRQ_HANDLED;
}

static int ivshmem_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct morsel_doorbell *db;
	int ret;

	if (the_doorbell)
		return -EBUSY;	/* one doorbell per host */
	db = devm_kzalloc(&pdev->dev, sizeof(*db), GFP_KERNEL);
	if (!db)
		return -ENOMEM;
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), "morsel-doorbell");
	if (ret)
		return ret;
	db->pdev = pdev;
	db->regs = pcim_iomap_table(pdev)[0];
	/* ivshmem-plain has no MSI-X: it is not a doorbell. */
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSIX);
	if (ret < 0) {
		dev_info(&pdev->dev, "no MSI-X: not an ivshmem-doorbell, ignored\n");
		return -ENODEV;
	}
	/* QEMU delivers the MSI through the bus-master address space. */
	pci_set_master(pdev);
	db->irq = pci_irq_vector(pdev, 0);
	ret = devm_request_irq(&pdev->dev, db->irq, ivshmem_irq, 0,
			       "morsel-doorbell", rx_pool);
	if (ret) {
		pci_free_irq_vectors(pdev);
		return ret;
	}
	db->peer_id = readl(db->regs + IVSHMEM_REG_IVPOSITION);
	dev_info(&pdev->dev, "ivshmem doorbell: peer id %d, irq %d\n",
		 db->peer_id, db->irq);
	pci_set_drvdata(pdev, db);
	WRITE_ONCE(the_doorbell, db);
	ready_fn();
	return 0;
}

static const struct pci_device_id ivshmem_ids[] = {
	{ PCI_DEVICE(0x1af4, 0x1110) },	/* Red Hat / QEMU ivshmem */
	{ }
};

static struct pci_driver ivshmem_doorbell_driver = {
	.name = "morsel-doorbell",
	.id_table = ivshmem_ids,
	.probe = ivshmem_probe,
	/* Built in and never unbound: the pool depends on it. */
	.driver.suppress_bind_attrs = true,
};

/**
 * morsel_doorbell_init() - register the doorbell back-ends.
 * @p: the pool whose receiver a doorbell interrupt wakes.
 * @rang: called from the interrupt handler when another host rang.
 * @ready: called once the back-end knows this host's id.
 *
 * The channel and the pool register here, so that the doorbell never
 * calls up into them.
 *
 * Return: 0 or a negative errno from the PCI core.
 */
int morsel_doorbell_init(struct morsel_pool *p, void (*rang)(struct morsel_pool *p),
			 void (*ready)(void))
{
	rx_pool = p;
	rang_fn = rang;
	ready_fn = ready;
	return pci_register_driver(&ivshmem_doorbell_driver);
}
